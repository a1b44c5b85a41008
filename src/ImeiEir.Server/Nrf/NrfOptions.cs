namespace ImeiEir.Server.Nrf;

/// <summary>
/// Registration with an NRF (TS 29.510 Nnrf_NFManagement), configuration section <c>Nrf</c>. Off while
/// <see cref="Uri"/> is empty; when it is set, <see cref="NrfOptionsValidator"/> requires
/// <see cref="NfInstanceId"/> and <see cref="AdvertisedUri"/>. The key names of the first settings are used by
/// deployment scripts outside the repository: never rename them.
/// </summary>
public sealed class NrfOptions
{
    public const string SectionName = "Nrf";

    /// <summary>
    /// The NRF's apiRoot, <c>https://nrf.example:443</c> or <c>http://…</c> (a path prefix is kept: requests go to
    /// <c>{Uri}/nnrf-nfm/v1/nf-instances/{NfInstanceId}</c>). Over <c>https</c> HTTP/2 is negotiated with ALPN;
    /// over <c>http</c> HTTP/2 is spoken with prior knowledge (h2c), as TS 29.500 requires and as the Open5GS and
    /// free5GC NRFs accept. Default empty: the node does not register anywhere.
    /// </summary>
    public string Uri { get; set; } = "";

    /// <summary>
    /// This node's NF instance id: a UUID version 4 (TS 29.571 NfInstanceId; free5GC's NRF refuses other versions),
    /// stable across restarts so that a restarted node replaces its own profile instead of leaving a stale one. Each
    /// node of a cluster has its own. Default empty; required when <see cref="Uri"/> is set.
    /// </summary>
    public string NfInstanceId { get; set; } = "";

    /// <summary>
    /// The PLMNs this EIR serves (<c>Nrf:PlmnList:{i}:Mcc</c> 3 digits, <c>:Mnc</c> 2 or 3 digits, as strings so a
    /// leading zero stays). Default empty: <c>plmnList</c> is left out and the NRF assumes its own PLMN (TS 29.510).
    /// </summary>
    public IList<NrfPlmnOptions> PlmnList { get; set; } = [];

    /// <summary>
    /// The URI cores use to reach this node's N5g-eir API, e.g. <c>https://10.0.0.5:8443</c>,
    /// <c>https://eir1.5gc.mnc001.mcc437.3gppnetwork.org</c>, <c>http://[2001:db8::5]:5080</c>. Its scheme becomes the
    /// service's <c>scheme</c>; an IPv4 or IPv6 literal host becomes <c>ipv4Addresses</c>/<c>ipv6Addresses</c> and the
    /// endpoint address, a DNS name becomes <c>fqdn</c>; the port (or 443/80 by scheme) goes into <c>ipEndPoints</c>; a
    /// path becomes <c>apiPrefix</c>. Never a wildcard address. Default empty; required when <see cref="Uri"/> is set.
    /// </summary>
    public string AdvertisedUri { get; set; } = "";

    /// <summary>
    /// PEM file of the CA certificate(s) trusted for the NRF's TLS certificate, instead of the system store (the
    /// NRF's host name is still checked against its certificate). Default empty: the system's trusted roots.
    /// </summary>
    public string CaPath { get; set; } = "";

    /// <summary>The client certificate presented to the NRF (mutual TLS). Default: none.</summary>
    public NrfClientCertificateOptions ClientCertificate { get; set; } = new();

    /// <summary>
    /// Seconds between heartbeats proposed to the NRF in the registration. The NRF's answer decides (TS 29.510: it
    /// keeps the proposal or overrides it) and its value is the one used. Default 10 (Open5GS' default; TS 29.510 sets
    /// none); from 1 to 3600 (free5GC's NRF refuses values outside).
    /// </summary>
    public int HeartBeatTimer { get; set; } = 10;

    /// <summary>
    /// The profile's <c>priority</c> (0–65535, lower is preferred) among EIRs of the same PLMN. Default unset (left
    /// out of the profile).
    /// </summary>
    public int? Priority { get; set; }

    /// <summary>The profile's <c>capacity</c> (0–65535, relative weight among equal priorities). Default unset (left out).</summary>
    public int? Capacity { get; set; }

    /// <summary>
    /// First wait after a failed NRF request (NRF down, refused, TLS failure); each further failure doubles it, up to
    /// <see cref="RetryMaxDelay"/>, each wait drawn between half and all of that (jitter, so a restarted NRF is not hit
    /// by every node at once). Default 1 second.
    /// </summary>
    public TimeSpan RetryMinDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between retries (see <see cref="RetryMinDelay"/>). Default 30 seconds.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// One NRF request (connection and TLS included) fails after this long. Default 5 seconds: an NRF answers in
    /// milliseconds, and a hung request must not hold back heartbeats.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the node's serving state (data loaded, sync not refused) is read to suspend or resume the
    /// registration. Default 1 second; the read is two field reads.
    /// </summary>
    public TimeSpan ReadinessPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// On a graceful shutdown the registration is deleted (DELETE); shutdown waits at most this long for the NRF.
    /// Default 2 seconds (an NRF that does not answer expires the profile after missed heartbeats anyway).
    /// </summary>
    public TimeSpan DeregisterTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>True when <see cref="Uri"/> is set.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Uri);
}

/// <summary>One PLMN of <see cref="NrfOptions.PlmnList"/> (TS 29.571 PlmnId).</summary>
public sealed class NrfPlmnOptions
{
    /// <summary>Mobile country code, 3 digits (e.g. <c>437</c>).</summary>
    public string Mcc { get; set; } = "";

    /// <summary>Mobile network code, 2 or 3 digits (e.g. <c>01</c>).</summary>
    public string Mnc { get; set; } = "";
}

/// <summary>The client certificate of <see cref="NrfOptions.ClientCertificate"/>.</summary>
public sealed class NrfClientCertificateOptions
{
    /// <summary>
    /// PEM certificate file (intermediates may follow the certificate in the same file and are sent too). Default
    /// empty: no client certificate.
    /// </summary>
    public string Path { get; set; } = "";

    /// <summary>PEM private key file (PKCS#8 or PKCS#1/SEC1, unencrypted). Default empty: the key is in <see cref="Path"/>.</summary>
    public string KeyPath { get; set; } = "";
}
