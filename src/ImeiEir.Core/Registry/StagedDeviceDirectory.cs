namespace ImeiEir.Core.Registry;

/// <summary>
/// The device directory a batch is planned on while the batches ahead of it are still committing: their net device
/// changes (<see cref="BatchPlan.DeviceChanges"/>, <see cref="BatchPlan.OwnerChanges"/>, newest first) over the
/// published directory. Nothing is copied; the plans are not changed.
/// </summary>
public sealed class StagedDeviceDirectory : IDeviceDirectory
{
    private readonly IDeviceDirectory _published;
    private readonly IReadOnlyList<BatchPlan> _staged;

    /// <param name="published">The directory of the published view.</param>
    /// <param name="staged">The plans staged since, oldest first.</param>
    public StagedDeviceDirectory(IDeviceDirectory published, IReadOnlyList<BatchPlan> staged)
    {
        _published = published;
        _staged = staged;
    }

    public bool TryGetDevice(string deviceId, out long[] imeis)
    {
        for (var i = _staged.Count - 1; i >= 0; i--)
        {
            if (_staged[i].DeviceChanges.TryGetValue(deviceId, out var changed))
            {
                imeis = changed ?? [];
                return changed is not null;
            }
        }

        return _published.TryGetDevice(deviceId, out imeis);
    }

    public bool TryGetDeviceOf(long imei, out string deviceId)
    {
        for (var i = _staged.Count - 1; i >= 0; i--)
        {
            if (_staged[i].OwnerChanges.TryGetValue(imei, out var changed))
            {
                deviceId = changed ?? "";
                return changed is not null;
            }
        }

        return _published.TryGetDeviceOf(imei, out deviceId);
    }
}
