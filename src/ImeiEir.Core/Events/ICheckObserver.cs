using ImeiEir.Core.Overload;
using ImeiEir.Core.Policy;

namespace ImeiEir.Core.Events;

/// <summary>
/// Sees every decided check, on the check path: implementations must not block, call out (no I/O) or allocate.
/// </summary>
public interface ICheckObserver
{
    void OnChecked(in CheckInput input, in Decision decision, CheckInterface? via, long nowTicks);
}
