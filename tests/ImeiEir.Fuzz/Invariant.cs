using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace ImeiEir.Fuzz;

/// <summary>
/// A property the code under test broke: thrown out of a target so that AFL counts a logic bug as a crash. The
/// message names the property, never the input (which may be an identifier; the crashing file holds it).
/// </summary>
internal sealed class InvariantException(string message) : Exception(message);

internal static class Invariant
{
    public static void That([DoesNotReturnIf(false)] bool condition, string property)
    {
        if (!condition)
        {
            Fail(property);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fail(string property) => throw new InvariantException("invariant broken: " + property);
}
