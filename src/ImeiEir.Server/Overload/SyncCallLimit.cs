using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace ImeiEir.Server.Overload;

/// <summary>
/// Interceptor on RegistrySync: at most <see cref="OverloadOptions.SyncStreamsPerClient"/> calls (Apply streams and
/// GetSyncState) open at once per client, by the authenticated client name; one more is refused with
/// RESOURCE_EXHAUSTED naming the limit, before anything is read. With authentication off every caller is one client.
/// A sync call is long and rare, so a dictionary lookup per call is nothing; the count per client is interlocked.
/// </summary>
internal sealed class SyncCallLimit : Interceptor
{
    /// <summary>The name the limit counts callers under when no client is authenticated (<c>Auth:Enabled=false</c>).</summary>
    public const string Anonymous = "(anonymous)";

    private readonly ConcurrentDictionary<string, StrongBox<int>> _open = new(StringComparer.Ordinal);
    private readonly int _limit;
    private readonly OverloadGate _gate;
    private readonly ILogger<SyncCallLimit> _logger;

    public SyncCallLimit(OverloadOptions options, OverloadGate gate, ILogger<SyncCallLimit> logger)
    {
        _limit = options.SyncStreamsPerClient;
        _gate = gate;
        _logger = logger;
    }

    /// <summary>Calls open now for <paramref name="client"/> (tests, diagnostics).</summary>
    public int OpenCalls(string client) => _open.TryGetValue(client, out var box) ? Volatile.Read(ref box.Value) : 0;

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var slot = Enter(context);
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref slot.Value);
        }
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var slot = Enter(context);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref slot.Value);
        }
    }

    private StrongBox<int> Enter(ServerCallContext context)
    {
        var name = context.GetHttpContext().User.Identity?.Name;
        var client = string.IsNullOrEmpty(name) ? Anonymous : name;
        var slot = _open.GetOrAdd(client, static _ => new StrongBox<int>());
        if (Interlocked.Increment(ref slot.Value) <= _limit)
        {
            return slot;
        }

        Interlocked.Decrement(ref slot.Value);
        _gate.Refused(OverloadMetrics.Sync, ShedReason.ClientLimit);
        OverloadLog.SyncLimit(_logger, client, _limit);
        throw new RpcException(new Status(
            StatusCode.ResourceExhausted,
            $"client '{client}' has {_limit} RegistrySync calls open already (Overload:SyncStreamsPerClient); finish one first"));
    }
}
