using ImeiEir.Core.Events;
using ImeiEir.Core.Identifiers;
using ImeiEir.Core.Index;
using ImeiEir.Core.Overload;

namespace ImeiEir.Core.Policy;

/// <summary>Which request field was malformed.</summary>
public enum CheckField : byte
{
    None = 0,
    Imei,
    Msisdn,
    Imsi,
}

/// <summary>The answer to one check from text: a decision with the data version, or the field that was wrong.</summary>
public readonly record struct CheckResult(Decision Decision, long Sequence, CheckField InvalidField, ParseStatus InvalidStatus)
{
    public bool IsValid => InvalidField == CheckField.None;

    /// <summary>The request field's name as clients know it (proto field names).</summary>
    public string FieldName => InvalidField switch
    {
        CheckField.Imei => "imei",
        CheckField.Msisdn => "msisdn",
        CheckField.Imsi => "imsi",
        _ => "",
    };

    /// <summary>"imei: must have 14, 15 (IMEI) or 16 (IMEISV) digits" (allocates; errors only).</summary>
    public string ErrorMessage => InvalidField switch
    {
        CheckField.Imei => "imei " + ParseStatusText.DescribeImei(InvalidStatus),
        CheckField.Msisdn => "msisdn " + ParseStatusText.DescribeMsisdn(InvalidStatus),
        CheckField.Imsi => "imsi " + ParseStatusText.DescribeImsi(InvalidStatus),
        _ => "",
    };
}

/// <summary>
/// The one entry point every interface (gRPC, N5g-eir, S13) calls: parse the identifiers, take the current index
/// view, run the verdict order. Synchronous and allocation-free unless a grace mark or amnesty binding is new.
/// Every decision is shown to the <see cref="Observer"/> (events, src/ImeiEir.Server/Events), which must not block.
/// </summary>
public sealed class EquipmentChecker
{
    private readonly EirIndex _index;
    private readonly IGraceMarks _marks;
    private readonly PolicyOptions _options;
    private readonly TimeProvider _time;
    private readonly IAutoWhitelistSink? _sink;
    private ICheckObserver? _observer;

    public EquipmentChecker(EirIndex index, IGraceMarks marks, PolicyOptions options, TimeProvider time, IAutoWhitelistSink? sink = null)
    {
        _index = index;
        _marks = marks;
        _options = options;
        _time = time;
        _sink = sink;
    }

    public PolicyOptions Options => _options;

    /// <summary>False until the node's data is loaded: callers must answer UNAVAILABLE, never a verdict.</summary>
    public bool IsReady => _index.IsLoaded;

    public EirIndex Index => _index;

    /// <summary>Sees every decided check (null: none). Set once at start; read once per check.</summary>
    public ICheckObserver? Observer
    {
        get => Volatile.Read(ref _observer);
        set => Volatile.Write(ref _observer, value);
    }

    /// <summary>Parses and decides. <paramref name="msisdn"/> and <paramref name="imsi"/> may be empty (absent).</summary>
    public CheckResult Check(ReadOnlySpan<char> imei, ReadOnlySpan<char> msisdn, ReadOnlySpan<char> imsi)
        => Check(imei, msisdn, imsi, null);

    /// <summary>Parses and decides for a check that came in by <paramref name="via"/> (events name it; null: not said).</summary>
    public CheckResult Check(ReadOnlySpan<char> imei, ReadOnlySpan<char> msisdn, ReadOnlySpan<char> imsi, CheckInterface? via)
    {
        var status = ImeiParser.TryParse(imei, out var parsedImei);
        if (status != ParseStatus.Ok)
        {
            return new CheckResult(default, 0, CheckField.Imei, status);
        }

        long msisdnValue = 0;
        if (!msisdn.IsEmpty)
        {
            status = MsisdnParser.TryParse(msisdn, _options.HomeCountryCode, out var m);
            if (status != ParseStatus.Ok)
            {
                return new CheckResult(default, 0, CheckField.Msisdn, status);
            }

            msisdnValue = m.Value;
        }

        long imsiKey = 0;
        if (!imsi.IsEmpty)
        {
            status = ImsiParser.TryParse(imsi, out var i);
            if (status != ParseStatus.Ok)
            {
                return new CheckResult(default, 0, CheckField.Imsi, status);
            }

            imsiKey = i.Key;
        }

        return Check(new CheckInput(parsedImei.Key.Value, msisdnValue, imsiKey), via);
    }

    /// <summary>Decides for already parsed identifiers.</summary>
    public CheckResult Check(in CheckInput input, CheckInterface? via = null)
    {
        var view = _index.Current;
        var now = _time.GetUtcNow().UtcTicks;
        var decision = VerdictPolicy.Decide(in input, view, _marks, _options, now, _sink);
        _observer?.OnChecked(in input, in decision, via, now);
        return new CheckResult(decision, view.Sequence, CheckField.None, ParseStatus.Ok);
    }
}
