using System.Net;
using Microsoft.Extensions.Logging;

namespace ImeiEir.Diameter.Server;

/// <summary>
/// Every log line of the Diameter server, source-generated with fixed event ids (4xxx). Nothing per request above
/// Debug, and never an IMEI or IMSI: request problems are logged by kind and peer only.
/// </summary>
internal static partial class DiameterLog
{
    [LoggerMessage(4000, LogLevel.Information, "Diameter S13 listening on {EndPoint} as {OriginHost} / {OriginRealm}")]
    public static partial void Listening(ILogger logger, EndPoint endPoint, string originHost, string originRealm);

    [LoggerMessage(4001, LogLevel.Information, "Diameter S13 listener stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4002, LogLevel.Debug, "Diameter connection from {Remote}")]
    public static partial void ConnectionAccepted(ILogger logger, string remote);

    [LoggerMessage(4003, LogLevel.Debug, "Diameter connection from {Remote} closed")]
    public static partial void ConnectionClosed(ILogger logger, string remote);

    [LoggerMessage(4004, LogLevel.Information, "Diameter peer {PeerHost} ({PeerRealm}) connected from {Remote}")]
    public static partial void PeerOpen(ILogger logger, string peerHost, string peerRealm, string remote);

    [LoggerMessage(4005, LogLevel.Warning, "Diameter CER from {Remote} refused: peer {PeerHost} ({PeerRealm}) is not in Diameter:AllowedPeers or Diameter:AllowedRealms")]
    public static partial void UnknownPeer(ILogger logger, string remote, string peerHost, string peerRealm);

    [LoggerMessage(4006, LogLevel.Warning, "Diameter CER from {Remote} refused with result {ResultCode}")]
    public static partial void CerRefused(ILogger logger, string remote, uint resultCode);

    [LoggerMessage(4007, LogLevel.Warning, "Diameter request (command {CommandCode}) from {Remote} before a successful CER: refused with 3010, closing")]
    public static partial void RequestBeforeCer(ILogger logger, int commandCode, string remote);

    [LoggerMessage(4008, LogLevel.Warning, "Diameter framing lost on the connection from {Remote} ({Reason}): closing")]
    public static partial void FramingLost(ILogger logger, string remote, string reason);

    [LoggerMessage(4009, LogLevel.Debug, "Diameter message from {Remote} refused with result {ResultCode}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, string remote, uint resultCode, string reason);

    [LoggerMessage(4010, LogLevel.Information, "Diameter peer {PeerHost} sent DPR: closing")]
    public static partial void PeerDisconnecting(ILogger logger, string peerHost);

    [LoggerMessage(4011, LogLevel.Information, "Diameter connection from {Remote} silent for {Timeout} (Diameter:IdleTimeout, or Diameter:CerTimeout before CER): closing")]
    public static partial void IdleTimeout(ILogger logger, string remote, TimeSpan timeout);

    [LoggerMessage(4012, LogLevel.Warning, "Diameter connection from {Remote} failed")]
    public static partial void ConnectionFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(4013, LogLevel.Error, "Diameter accept loop failed")]
    public static partial void AcceptFailed(ILogger logger, Exception exception);

    [LoggerMessage(4014, LogLevel.Debug, "Diameter check refused with 3004 (too busy): the index is not loaded yet")]
    public static partial void NotReady(ILogger logger);

    [LoggerMessage(4016, LogLevel.Warning, "Diameter connection from {Remote} refused: Diameter:MaxConnections ({MaxConnections}) reached")]
    public static partial void TooManyConnections(ILogger logger, string remote, int maxConnections);

    [LoggerMessage(4015, LogLevel.Debug, "Diameter: unexpected answer (command {CommandCode}) from {Remote} ignored")]
    public static partial void UnexpectedAnswer(ILogger logger, int commandCode, string remote);

    [LoggerMessage(4017, LogLevel.Debug, "Diameter peer {PeerHost} answered our DPR: closing")]
    public static partial void DisconnectAnswered(ILogger logger, string peerHost);

    [LoggerMessage(4018, LogLevel.Warning, "Diameter TLS handshake from {Remote} refused: {Reason}")]
    public static partial void TlsHandshakeRefused(ILogger logger, string remote, string reason);

    [LoggerMessage(4019, LogLevel.Information, "Diameter TLS connection from {Remote} closed before the handshake completed: {Reason}")]
    public static partial void TlsHandshakeAbandoned(ILogger logger, string remote, string reason);

    [LoggerMessage(4020, LogLevel.Information, "Diameter S13 listening for TLS on {EndPoint} as {OriginHost} / {OriginRealm}; certificate {Subject} valid until {NotAfter:u}")]
    public static partial void ListeningTls(ILogger logger, EndPoint endPoint, string originHost, string originRealm, string subject, DateTime notAfter);

    [LoggerMessage(4021, LogLevel.Information, "Diameter TLS files changed: certificate {Subject} valid until {NotAfter:u} and the peer CA bundle now used for new connections")]
    public static partial void TlsCredentialsReloaded(ILogger logger, string subject, DateTime notAfter);

    [LoggerMessage(4022, LogLevel.Warning, "Diameter TLS files changed but cannot be used, the previous ones stay in use: {Reason}")]
    public static partial void TlsReloadFailed(ILogger logger, string reason);

    [LoggerMessage(4023, LogLevel.Debug, "Diameter TLS handshake with {Remote} done: {Protocol} {CipherSuite}, peer certificate {PeerSubject}")]
    public static partial void TlsHandshakeDone(ILogger logger, string remote, System.Security.Authentication.SslProtocols protocol, System.Net.Security.TlsCipherSuite cipherSuite, string peerSubject);
}
