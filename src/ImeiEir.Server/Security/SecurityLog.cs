namespace ImeiEir.Server.Security;

/// <summary>Security events (ids 1100–1199). Never a key, token or password; certificate subjects name NFs, not people.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Client certificate refused at the TLS handshake ({Subject}): {Reason}")]
    public static partial void ClientCertificateRefused(ILogger logger, string subject, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "{Setting} '{Path}' changed and was loaded again")]
    public static partial void FileReloaded(ILogger logger, string setting, string path);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "{Setting} '{Path}' changed but does not load ({Reason}); the previous one stays in use")]
    public static partial void FileReloadFailed(ILogger logger, string setting, string path, string reason);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Auth:TrustedNetworks grants role 'check' WITHOUT credentials to requests from {Ranges} (gRPC EquipmentCheck and N5g-eir only)")]
    public static partial void TrustedNetworks(ILogger logger, string ranges);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Critical, Message = "AUTHENTICATION IS OFF (Auth:Enabled=false): every API answers without a credential. Never run a production node like this.")]
    public static partial void AuthDisabled(ILogger logger);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Auth is on but no Auth:Clients, Auth:Oauth2:Issuers or Auth:TrustedNetworks are configured: every API call will be refused.")]
    public static partial void NoCredentials(ILogger logger);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "TLS on endpoint {Endpoint}: TLS 1.2/1.3, client certificates {Mode}")]
    public static partial void TlsEndpoint(ILogger logger, string endpoint, string mode);
}
