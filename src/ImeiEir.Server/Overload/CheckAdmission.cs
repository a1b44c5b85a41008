using ImeiEir.Core.Overload;
using ImeiEir.Server.N5gEir;
using Microsoft.Extensions.Primitives;

namespace ImeiEir.Server.Overload;

/// <summary>
/// Middleware in front of authentication: every check call (gRPC EquipmentCheck, N5g-eir GetEquipmentStatus) passes
/// the <see cref="OverloadGate"/> before anything costly is done for it. A refused call is answered at once, from
/// fixed bytes: gRPC RESOURCE_EXHAUSTED (or DEADLINE_EXCEEDED) as a trailers-only response, N5g-eir 429 with a
/// ProblemDetails body. Nothing is thrown, nothing allocated: a refusal must cost far less than an answer, or a node
/// at twice its rate could not even afford to refuse. Other paths pass through untouched.
/// </summary>
internal sealed class CheckAdmission
{
    /// <summary>The gRPC path prefix of the check service (<c>/package.Service/Method</c>).</summary>
    public const string CheckServicePrefix = "/imeieir.v1.EquipmentCheck/";

    // Trailers-only gRPC answers: status and message in the response headers, no body (gRPC over HTTP/2).
    private static readonly StringValues ResourceExhausted = "8";
    private static readonly StringValues DeadlineExceeded = "4";
    private static readonly StringValues QueueMessage = "EIR node overloaded (requests wait longer than Overload:MaxQueueDelay): not checked; retry on another node";
    private static readonly StringValues ConcurrencyMessage = "EIR node overloaded (Overload:MaxConcurrentChecks calls in progress): not checked; retry on another node";
    private static readonly StringValues ExpiredMessage = "the call's deadline passed while it waited in the node's queue: not checked";

    private readonly RequestDelegate _next;
    private readonly OverloadGate _gate;

    public CheckAdmission(RequestDelegate next, OverloadGate gate)
    {
        _next = next;
        _gate = gate;
    }

    private enum CallKind : byte
    {
        None,
        GrpcCheck,
        GrpcBatch,
        GrpcStream,
        N5gEir,
    }

    public Task InvokeAsync(HttpContext context)
    {
        var kind = Classify(context.Request.Path.Value);
        if (kind == CallKind.None)
        {
            return _next(context);
        }

        var via = kind == CallKind.N5gEir ? CheckInterface.N5gEir : CheckInterface.Grpc;

        // The caller reset the stream (at its own deadline, typically) before its turn came: nobody is waiting.
        if (context.RequestAborted.IsCancellationRequested)
        {
            _gate.Refused((int)via, ShedReason.Cancelled);
            return Task.CompletedTask;
        }

        // Grpc.AspNetCore starts a call's deadline when the call starts running, so time spent queued before is not
        // counted; the caller's clock started when it sent. A call that waited its whole timeout is not worked on.
        if (via == CheckInterface.Grpc)
        {
            var timeout = context.Request.Headers.GrpcTimeout;
            if (timeout.Count == 1 && GrpcTimeout.TryParse(timeout[0], out var ticks) && _gate.ExpiredInQueue(ticks))
            {
                _gate.Refused((int)via, ShedReason.Deadline);
                return Refuse(context, kind, DeadlineExceeded, ExpiredMessage);
            }
        }

        // A stream is gated per message by the service (Grpc/EquipmentCheckService); here only when it opens, and it
        // is not counted in flight (it may stay open for hours).
        if (kind == CallKind.GrpcStream)
        {
            return _gate.ShouldShed(via) ? Refuse(context, kind, ResourceExhausted, QueueMessage) : _next(context);
        }

        var admission = _gate.TryEnter(via);
        if (admission != Admission.Admitted)
        {
            return via == CheckInterface.N5gEir
                ? EquipmentStatusEndpoint.WriteOverloadedAsync(context.Response)
                : Refuse(context, kind, ResourceExhausted, admission == Admission.QueueDelay ? QueueMessage : ConcurrencyMessage);
        }

        Task task;
        try
        {
            task = _next(context);
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        if (task.IsCompleted)
        {
            _gate.Exit();
            return task;
        }

        return ExitWhenDone(task);
    }

    private async Task ExitWhenDone(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private static CallKind Classify(string? path)
    {
        // Routing matches paths case-insensitively, so the gate does too: no spelling reaches a check ungated.
        if (path is null)
        {
            return CallKind.None;
        }

        if (path.StartsWith(CheckServicePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var method = path.AsSpan(CheckServicePrefix.Length);
            return method.Equals("Check", StringComparison.OrdinalIgnoreCase) ? CallKind.GrpcCheck
                : method.Equals("CheckBatch", StringComparison.OrdinalIgnoreCase) ? CallKind.GrpcBatch
                : method.Equals("CheckStream", StringComparison.OrdinalIgnoreCase) ? CallKind.GrpcStream
                : CallKind.None; // no such method: Grpc.AspNetCore answers UNIMPLEMENTED
        }

        return path.Equals(N5gEirEndpoints.EquipmentStatusPath, StringComparison.OrdinalIgnoreCase) ? CallKind.N5gEir : CallKind.None;
    }

    /// <summary>
    /// A trailers-only gRPC answer: HTTP 200, <c>application/grpc</c>, the status in the headers, no body. A unary
    /// Check's request (a few dozen bytes) is read to its end first, as Grpc.AspNetCore does before it answers: a
    /// stream answered before the client's END_STREAM is reset by Kestrel and stays tracked for its drain time (5 s),
    /// and thousands of those make Kestrel's rapid-reset guard (ENHANCE_YOUR_CALM) close the whole connection. A
    /// CheckBatch or CheckStream is refused at once (they are few, and their bodies can be large).
    /// </summary>
    private static Task Refuse(HttpContext context, CallKind kind, StringValues status, StringValues message)
    {
        if (kind == CallKind.GrpcCheck)
        {
            var body = context.Request.BodyReader;
            if (!body.TryRead(out var read))
            {
                return DrainThenRefuseAsync(context, status, message);
            }

            body.AdvanceTo(read.Buffer.End);
            if (!read.IsCompleted)
            {
                return DrainThenRefuseAsync(context, status, message);
            }
        }

        WriteStatus(context.Response, status, message);
        return Task.CompletedTask;
    }

    private static async Task DrainThenRefuseAsync(HttpContext context, StringValues status, StringValues message)
    {
        var body = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var read = await body.ReadAsync(context.RequestAborted).ConfigureAwait(false);
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The client went away meanwhile: nobody to answer.
            return;
        }

        WriteStatus(context.Response, status, message);
    }

    private static void WriteStatus(HttpResponse response, StringValues status, StringValues message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers.GrpcStatus = status;
        response.Headers.GrpcMessage = message;
    }
}
