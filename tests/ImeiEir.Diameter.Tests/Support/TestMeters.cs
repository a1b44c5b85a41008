using System.Diagnostics.Metrics;

namespace ImeiEir.Diameter.Tests.Support;

/// <summary>One <c>imeieir.diameter.answers</c> measurement: which answer the server sent, with which result.</summary>
internal sealed record AnswerRecord(string Command, string ResultCode);

/// <summary>
/// A meter factory for one test's server: its meters carry this factory as their scope, so the listener hears that
/// server only, even with other servers running in parallel tests.
/// </summary>
internal sealed class TestMeters : IMeterFactory
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);
    private readonly List<Meter> _meters = [];
    private readonly MeterListener _listener = new();
    private readonly Waitable<AnswerRecord> _answers = new();

    public TestMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == this && instrument.Name == "imeieir.diameter.answers")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            string command = "", result = "";
            foreach (var tag in tags)
            {
                switch (tag.Key)
                {
                    case "diameter.command": command = tag.Value as string ?? ""; break;
                    case "diameter.result_code": result = tag.Value as string ?? ""; break;
                }
            }

            _answers.Add(new AnswerRecord(command, result));
        });
        _listener.Start();
    }

    public IReadOnlyCollection<AnswerRecord> Answers => _answers.Entries;

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    /// <summary>Waits until the server sent an answer to <paramref name="command"/> (CE, DW, DP, MIC) with that result.</summary>
    public Task<AnswerRecord> WaitForAnswerAsync(string command, string resultCode)
        => _answers.WaitForAsync(a => a.Command == command && a.ResultCode == resultCode, $"{command} answer with {resultCode}", WaitLimit,
            () => string.Join(", ", Answers.Select(a => $"{a.Command}/{a.ResultCode}")));

    public void Dispose()
    {
        _listener.Dispose();
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
