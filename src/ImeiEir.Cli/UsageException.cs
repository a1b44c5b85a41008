namespace ImeiEir.Cli;

/// <summary>Bad input found before anything was sent; the message names the option, variable or file. Exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
