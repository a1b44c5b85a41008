using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace ImeiEir.Server.Nrf;

/// <summary>
/// Checks <see cref="NrfOptions"/> at start (<c>ValidateOnStart</c>): every problem is reported at once, each naming
/// its setting. Nothing is required while <c>Nrf:Uri</c> is empty. The certificate files are read once here so that a
/// wrong path or a key that does not match fails the start, not the first registration.
/// </summary>
internal sealed class NrfOptionsValidator : IValidateOptions<NrfOptions>
{
    public ValidateOptionsResult Validate(string? name, NrfOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Errors(NrfOptions o)
    {
        var errors = new List<string>();
        if (!o.Enabled)
        {
            return errors;
        }

        if (!System.Uri.TryCreate(o.Uri.Trim(), UriKind.Absolute, out var nrf) || (nrf.Scheme != "https" && nrf.Scheme != "http")
            || nrf.Query.Length != 0 || nrf.Fragment.Length != 0 || nrf.UserInfo.Length != 0)
        {
            // Not echoed: a URI with user info may hold a password.
            errors.Add("Nrf:Uri must be the NRF's apiRoot: an absolute https:// or http:// URI without user info, query or fragment.");
        }

        if (string.IsNullOrWhiteSpace(o.NfInstanceId))
        {
            errors.Add("Nrf:NfInstanceId must be set (a stable UUID v4 of this node, e.g. from uuidgen) when Nrf:Uri is set.");
        }
        else if (!Guid.TryParse(o.NfInstanceId, out var id) || id.Version != 4 || (id.Variant & 0xC) != 0x8)
        {
            errors.Add($"Nrf:NfInstanceId must be a UUID version 4 (TS 29.571 NfInstanceId, e.g. from uuidgen), not '{o.NfInstanceId}'.");
        }

        if (string.IsNullOrWhiteSpace(o.AdvertisedUri))
        {
            errors.Add("Nrf:AdvertisedUri must be set (the URI cores use to reach this node's N5g-eir API) when Nrf:Uri is set.");
        }
        else if (AdvertisedEndpoint.TryParse(o.AdvertisedUri, out var error) is null)
        {
            errors.Add(error);
        }

        for (var i = 0; i < o.PlmnList.Count; i++)
        {
            var plmn = o.PlmnList[i];
            if (plmn.Mcc.Length != 3 || !plmn.Mcc.All(char.IsAsciiDigit))
            {
                errors.Add($"Nrf:PlmnList:{i}:Mcc must be 3 digits, not '{plmn.Mcc}'.");
            }

            if (plmn.Mnc.Length is < 2 or > 3 || !plmn.Mnc.All(char.IsAsciiDigit))
            {
                errors.Add($"Nrf:PlmnList:{i}:Mnc must be 2 or 3 digits (a string, so a leading zero stays), not '{plmn.Mnc}'.");
            }
        }

        if (o.HeartBeatTimer is < 1 or > 3600)
        {
            errors.Add($"Nrf:HeartBeatTimer must be from 1 to 3600 seconds, not {o.HeartBeatTimer}.");
        }

        if (o.Priority is < 0 or > 65535)
        {
            errors.Add($"Nrf:Priority must be from 0 to 65535, not {o.Priority}.");
        }

        if (o.Capacity is < 0 or > 65535)
        {
            errors.Add($"Nrf:Capacity must be from 0 to 65535, not {o.Capacity}.");
        }

        if (o.RetryMinDelay <= TimeSpan.Zero || o.RetryMaxDelay < o.RetryMinDelay)
        {
            errors.Add($"Nrf:RetryMinDelay must be positive and at most Nrf:RetryMaxDelay (now {o.RetryMinDelay} and {o.RetryMaxDelay}).");
        }

        foreach (var (key, value) in new[] { ("RequestTimeout", o.RequestTimeout), ("ReadinessPollInterval", o.ReadinessPollInterval), ("DeregisterTimeout", o.DeregisterTimeout) })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"Nrf:{key} must be positive, not {value}.");
            }
        }

        CheckFiles(o, errors);
        return errors;
    }

    private static void CheckFiles(NrfOptions o, List<string> errors)
    {
        if (!string.IsNullOrWhiteSpace(o.CaPath))
        {
            try
            {
                _ = Security.PemFiles.ReadCertificates(o.CaPath);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add($"Nrf:CaPath: {ex.Message}");
            }
        }

        var client = o.ClientCertificate;
        if (string.IsNullOrWhiteSpace(client.Path))
        {
            if (!string.IsNullOrWhiteSpace(client.KeyPath))
            {
                errors.Add("Nrf:ClientCertificate:KeyPath is set but Nrf:ClientCertificate:Path is not.");
            }

            return;
        }

        try
        {
            var (certificate, chain) = NrfTls.LoadClientCertificate(client);
            if (!certificate.HasPrivateKey)
            {
                errors.Add($"Nrf:ClientCertificate:Path '{client.Path}' has no private key (set Nrf:ClientCertificate:KeyPath).");
            }

            certificate.Dispose();
            foreach (var c in chain)
            {
                c.Dispose();
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            // The message names files and what failed (never key material).
            errors.Add($"Nrf:ClientCertificate:Path / KeyPath ('{client.Path}', '{client.KeyPath}') cannot be loaded: {ex.Message}");
        }
    }
}
