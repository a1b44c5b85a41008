namespace ImeiEir.Fuzz;

/// <summary>
/// The three identifier parsers on every input (<see cref="ImeiTarget"/>, <see cref="ImsiTarget"/>,
/// <see cref="MsisdnTarget"/>): one AFL run gives each parser every execution, and an input that opens a path in
/// one parser is kept for all.
/// </summary>
internal static class IdentifiersTarget
{
    public static void Run(ReadOnlySpan<byte> data)
    {
        var text = Input.Text(data);
        ImeiTarget.Check(text);
        ImsiTarget.Check(text);
        MsisdnTarget.Check(text);
    }
}
