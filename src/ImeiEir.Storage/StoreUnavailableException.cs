namespace ImeiEir.Storage;

/// <summary>The store cannot be reached now; nothing was written.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException(string message) : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }

    public StoreUnavailableException()
    {
    }
}
