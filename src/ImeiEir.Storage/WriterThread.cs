using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace ImeiEir.Storage;

/// <summary>
/// The one thread the write side's CPU work runs on — planning a batch, staging it in the index (and the compactions
/// that come with it), publishing it and applying its device changes, applying the followed log, a checkpoint's
/// compaction — below the checks' priority: on Linux its nice value is <see cref="WriterOptions.Nice"/> (10 by
/// default), so when the cores are busy the kernel runs the threads answering checks first and the write work in
/// what is left (the "sync work yields to checks", measured in bench/RESULTS.md "Write side"). The awaits
/// inside a work item come back to this thread (it is the work's <see cref="TaskScheduler"/>); Redis round trips
/// happen between work items and hold no thread.
/// </summary>
public sealed partial class WriterThread : TaskScheduler, IDisposable
{
    private readonly BlockingCollection<Task> _queue = [];
    private readonly Thread _thread;
    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WriterThread(WriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Nice = options.Nice;
        _thread = new Thread(Loop) { IsBackground = true, Name = "imeieir-writer" };
        _thread.Start();
        // The thread's own id and priority are set on it before any work runs.
        OsThreadId = _started.Task.GetAwaiter().GetResult();
    }

    /// <summary>The nice value asked for (applied on Linux; elsewhere the thread runs at normal priority).</summary>
    public int Nice { get; }

    /// <summary>The kernel's id of the thread (Linux; 0 elsewhere): /proc/self/task/&lt;id&gt;/stat shows its nice value.</summary>
    public int OsThreadId { get; }

    /// <summary>Whether the caller runs on the writer thread.</summary>
    public bool IsCurrent => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Runs <paramref name="work"/> on the writer thread.</summary>
    public Task<T> Run<T>(Func<T> work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this);

    /// <summary>Runs <paramref name="work"/> on the writer thread, its awaits (without ConfigureAwait(false)) coming back to it.</summary>
    public Task<T> Run<T>(Func<Task<T>> work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    /// <summary>Runs <paramref name="work"/> on the writer thread.</summary>
    public Task Run(Action work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this);

    public override int MaximumConcurrencyLevel => 1;

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!IsCurrent)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    protected override void QueueTask(Task task)
    {
        try
        {
            _queue.Add(task);
        }
        catch (InvalidOperationException)
        {
            // Disposed (the node is stopping): what is queued now runs where it was queued from, never lost.
            TryExecuteTask(task);
        }
    }

    // Inline only on the writer thread itself (a continuation of work already running here).
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued)
        => IsCurrent && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void Loop()
    {
        var tid = 0;
        if (OperatingSystem.IsLinux())
        {
            tid = LinuxThreads.GetTid();
            if (Nice != 0)
            {
                // Raising one's own nice value needs no privilege. A refusal leaves the thread at normal priority.
                _ = LinuxThreads.SetPriority(LinuxThreads.PrioProcess, tid, Nice);
            }
        }

        _started.SetResult(tid);
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    private static partial class LinuxThreads
    {
        public const int PrioProcess = 0;

        [LibraryImport("libc", EntryPoint = "gettid")]
        public static partial int GetTid();

        [LibraryImport("libc", EntryPoint = "setpriority")]
        public static partial int SetPriority(int which, int who, int prio);
    }
}
