using ImeiEir.Contracts.V1;

namespace ImeiEir.FaultLoad;

/// <summary><c>seed</c>: registers the devices the check load asks about, 1 000 a batch, idempotent by batch id.</summary>
internal static class SeedCommand
{
    public static async Task<int> RunAsync(Options o, CancellationToken ct)
    {
        var url = o.Required("target");
        var key = o.Get("key", "");
        var devices = o.Int("devices", 2000);
        o.EnsureAllRead();
        using var channel = FaultData.Channel(url);
        var client = new RegistrySync.RegistrySyncClient(channel);
        using var call = client.Apply(FaultData.Auth(key), cancellationToken: ct);
        for (var start = 0; start < devices; start += 1000)
        {
            var batch = new DeltaBatch { BatchId = $"fault-seed-{start}-{devices}" };
            for (var i = start; i < Math.Min(devices, start + 1000); i++)
            {
                var register = new RegisterDevice { DeviceId = "FAULT-SEED-" + i };
                register.Imeis.Add(FaultData.SeededImei(i));
                batch.Deltas.Add(new Delta { RegisterDevice = register });
            }

            await call.RequestStream.WriteAsync(batch, ct);
            if (!await call.ResponseStream.MoveNext(ct) || !call.ResponseStream.Current.Accepted)
            {
                Console.Error.WriteLine($"seed: batch {batch.BatchId} not accepted: {call.ResponseStream.Current?.Error}");
                return 1;
            }
        }

        await call.RequestStream.CompleteAsync();
        Console.WriteLine($"seed: {devices} devices registered");
        return 0;
    }
}
