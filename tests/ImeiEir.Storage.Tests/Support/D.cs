using ImeiEir.Core.Registry;

namespace ImeiEir.Storage.Tests.Support;

/// <summary>Registry deltas, short (test data reads like a delta file).</summary>
public static class D
{
    public static RegistryDelta Register(string deviceId, params string[] imeis) => new RegisterDeviceDelta(deviceId, imeis);

    public static RegistryDelta Unregister(string deviceId) => new UnregisterDeviceDelta(deviceId);

    public static RegistryDelta Bind(string imei, string msisdn, string imsi = "") => new BindDelta(imei, msisdn, imsi);

    public static RegistryDelta Unbind(string imei, string msisdn, string imsi = "") => new UnbindDelta(imei, msisdn, imsi);

    public static RegistryDelta Stolen(string imei, string caseReference) => new ReportStolenDelta(imei, caseReference);

    public static RegistryDelta ClearStolen(string imei) => new ClearStolenDelta(imei);

    public static RegistryDelta Subscriber(string imsi, string msisdn) => new UpsertSubscriberDelta(imsi, msisdn);

    public static RegistryDelta RemoveSubscriber(string imsi) => new RemoveSubscriberDelta(imsi);

    public static RegistryDelta Switch(string previousMsisdn, string newMsisdn, string imei) => new SwitchNumberDelta(previousMsisdn, newMsisdn, imei);
}
