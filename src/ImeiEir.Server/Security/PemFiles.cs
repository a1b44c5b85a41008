using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Tokens;

namespace ImeiEir.Server.Security;

/// <summary>Reads the PEM files the security settings name, with errors that say which file and what is wrong.</summary>
internal static class PemFiles
{
    /// <summary>Every certificate of a PEM bundle (at least one).</summary>
    public static X509Certificate2Collection ReadCertificates(string path)
    {
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"'{path}' is not a readable PEM certificate bundle: {ex.Message}", ex);
        }

        return bundle.Count > 0 ? bundle : throw new InvalidOperationException($"'{path}' holds no PEM certificate.");
    }

    /// <summary>
    /// A token signing key from a PEM public key or certificate: P-256 (ES256) or RSA of at least 2048 bits (RS256).
    /// </summary>
    public static SecurityKey ReadSigningKey(string path)
    {
        string pem;
        try
        {
            pem = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"'{path}' cannot be read: {ex.Message}", ex);
        }

        try
        {
            if (pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                if (certificate.GetECDsaPublicKey() is { } ec)
                {
                    return EcKey(ec, path);
                }

                return certificate.GetRSAPublicKey() is { } rsaKey
                    ? RsaKey(rsaKey, path)
                    : throw new InvalidOperationException($"'{path}': the certificate's key is neither EC P-256 nor RSA.");
            }

            // A bare public key: try EC first, then RSA (ImportFromPem picks the matching PEM label).
            var ecdsa = ECDsa.Create();
            try
            {
                ecdsa.ImportFromPem(pem);
                return EcKey(ecdsa, path);
            }
            catch (Exception ex) when (ex is ArgumentException or CryptographicException)
            {
                ecdsa.Dispose();
            }

            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return RsaKey(rsa, path);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new InvalidOperationException($"'{path}' holds no PEM public key or certificate (EC P-256 or RSA): {ex.Message}", ex);
        }
    }

    private static ECDsaSecurityKey EcKey(ECDsa key, string path)
        => key.KeySize == 256
            ? new ECDsaSecurityKey(key)
            : throw new InvalidOperationException($"'{path}': an EC key for ES256 must be P-256 (found {key.KeySize} bits).");

    private static RsaSecurityKey RsaKey(RSA key, string path)
        => key.KeySize >= 2048
            ? new RsaSecurityKey(key)
            : throw new InvalidOperationException($"'{path}': an RSA key for RS256 must have at least 2048 bits (found {key.KeySize}).");
}
