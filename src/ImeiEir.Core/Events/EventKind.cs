namespace ImeiEir.Core.Events;

/// <summary>What an event tells (numbers match the proto enum <c>imeieir.v1.EventKind</c>).</summary>
public enum EventKind : byte
{
    Unspecified = 0,
    GraceStarted = 1,
    GraceExpiring = 2,
    SwitchRequired = 3,
    NotRegistered = 4,
    StolenSeen = 5,
    AutoWhitelisted = 6,
    CloneSuspected = 7,
}
