using ImeiEir.Core.Overload;

namespace ImeiEir.Core.Events;

/// <summary>The interface names events carry (<c>Event.interface</c>).</summary>
public static class CheckInterfaceNames
{
    /// <summary>"grpc", "n5g-eir", "s13"; empty when the check did not say (tests, tools).</summary>
    public static string Name(this CheckInterface? via) => via switch
    {
        CheckInterface.Grpc => "grpc",
        CheckInterface.N5gEir => "n5g-eir",
        CheckInterface.S13 => "s13",
        _ => "",
    };
}
