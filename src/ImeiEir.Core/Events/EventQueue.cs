using System.Threading.Channels;

namespace ImeiEir.Core.Events;

/// <summary>
/// The bounded hand-over from the check path to the node's publisher: checks write without waiting (a full queue
/// drops the observation and counts it; a check is never held for an event), one background reader drains it.
/// Items are structs, so a write allocates nothing once the queue's buffer has grown.
/// </summary>
public sealed class EventQueue
{
    private readonly Channel<Observation> _channel;
    private long _dropped;

    /// <param name="capacity">Observations held at most (Events:QueueCapacity).</param>
    public EventQueue(int capacity)
    {
        _channel = Channel.CreateBounded<Observation>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, never a wait
            AllowSynchronousContinuations = false,  // the reader's continuation never runs on the check's thread
        });
    }

    /// <summary>Observations dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Observations waiting.</summary>
    public int Count => _channel.Reader.Count;

    public ChannelReader<Observation> Reader => _channel.Reader;

    /// <summary>Queues without waiting; false (and counted) when full.</summary>
    public bool TryWrite(in Observation observation)
    {
        if (_channel.Writer.TryWrite(observation))
        {
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }
}
