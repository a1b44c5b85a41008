namespace ImeiEir.Server.Events;

/// <summary>
/// One event to raise through <see cref="EventStore.RaiseAsync(IReadOnlyList{EventRaise}, TimeSpan)"/>: the event, the
/// subscriber key the exactly-once decision is taken on, the kind's window, and for a <c>grace_started</c> the
/// warning to schedule (due in Unix ms, 0 for none; its sorted-set member).
/// </summary>
public readonly record struct EventRaise(EventRecord Event, long Subscriber, TimeSpan Window, long WarningDueMs = 0, string WarningMember = "");
