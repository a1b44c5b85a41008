namespace ImeiEir.Core.Registry;

/// <summary>What self-service tells about one IMEI.</summary>
/// <param name="Registered">In the device registry.</param>
/// <param name="Stolen">Reported stolen.</param>
/// <param name="BoundMsisdns">The distinct MSISDNs it is bound to, ascending.</param>
/// <param name="DeviceId">The device it is registered under; empty when not registered.</param>
public sealed record DeviceStatus(bool Registered, bool Stolen, IReadOnlyList<long> BoundMsisdns, string DeviceId);

/// <summary>Reads an IMEI's status: the verdict data from the node's index, the device id from the store.</summary>
public interface IDeviceStatusReader
{
    /// <summary>The IMEI's status. Throws <see cref="RegistryUnavailableException"/> when the store cannot be read.</summary>
    Task<DeviceStatus> GetAsync(long imei, CancellationToken ct);
}

/// <summary>The registry's store cannot be reached now; nothing was written. The message names no identifier.</summary>
public sealed class RegistryUnavailableException : Exception
{
    public RegistryUnavailableException(string message) : base(message)
    {
    }

    public RegistryUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }

    public RegistryUnavailableException()
    {
    }
}
