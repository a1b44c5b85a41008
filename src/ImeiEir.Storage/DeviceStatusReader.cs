using ImeiEir.Core.Index;
using ImeiEir.Core.Registry;

namespace ImeiEir.Storage;

/// <summary>
/// <see cref="IDeviceStatusReader"/> over the node's index (registered, stolen, bound numbers: one view) and Redis' owner
/// record (the device id). A Redis failure becomes <see cref="RegistryUnavailableException"/>, its message naming no key.
/// </summary>
public sealed class DeviceStatusReader : IDeviceStatusReader
{
    private readonly EirIndex _index;
    private readonly DeviceRecords _devices;

    public DeviceStatusReader(EirIndex index, RedisStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _index = index;
        _devices = store.Devices;
    }

    public async Task<DeviceStatus> GetAsync(long imei, CancellationToken ct)
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
        if (registered)
        {
            try
            {
                deviceId = await _devices.GetDeviceOfAsync(imei).WaitAsync(ct).ConfigureAwait(false) ?? "";
            }
            catch (Exception ex) when (CommitPipeline.IsStorageFailure(ex))
            {
                throw new RegistryUnavailableException("the device registry (Redis) is unavailable; retry", new StoreUnavailableException(StorageErrors.ForLog(ex)));
            }
        }

        return new DeviceStatus(registered, view.IsStolen(imei), [.. numbers], deviceId);
    }
}
