using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;

namespace ImeiEir.Storage;

/// <summary>
/// <see cref="IDeviceStatusReader"/> over the node's index (registered, stolen, bound numbers: one view) and its device
/// directory (the device id). No Redis read. A registered IMEI the directory does not know (a node hydrated from a
/// checkpoint of an earlier version, README.md "Upgrading") is <see cref="RegistryUnavailableException"/>, its message
/// naming no identifier.
/// </summary>
public sealed class DeviceStatusReader : IDeviceStatusReader
{
    private readonly EirIndex _index;
    private readonly DeviceDirectory _devices;

    public DeviceStatusReader(EirIndex index, DeviceDirectory devices)
    {
        _index = index;
        _devices = devices;
    }

    public Task<DeviceStatus> GetAsync(long imei, CancellationToken ct)
    {
        var view = _index.Current;
        var numbers = new SortedSet<long>();
        foreach (var r in view.GetBindings(imei).Records)
        {
            if (r.Msisdn != 0)
            {
                numbers.Add(r.Msisdn);
            }
        }

        var registered = view.IsRegistered(imei);
        var deviceId = "";
        if (registered && !_devices.TryGetDeviceOf(imei, out deviceId))
        {
            throw new RegistryUnavailableException("the device directory does not know this registered IMEI yet; retry later");
        }

        return Task.FromResult(new DeviceStatus(registered, view.IsStolen(imei), [.. numbers], deviceId));
    }
}
