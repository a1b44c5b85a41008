using Grpc.Core;
using ImeiEir.Contracts.V1;
using ImeiEir.Server.Tests.N5gEir;

namespace ImeiEir.Server.Tests.Security;

/// <summary>NRF-issued OAuth2 access tokens on N5g-eir (TS 33.501 §13.4.1), over real TLS, with .NET and curl.</summary>
public sealed class NrfTokenTests(SecureNode fixture) : IClassFixture<SecureNode>
{
    private static readonly string N5gRegistered = N5gEirCaller.Path + "?pei=imei-" + Ids.Imei15(Ids.Registered14);

    public enum Token
    {
        Es256ForInstanceId,
        Rs256ForNfType,
        AudienceListWithInstanceId,
        ExpiredInsideSkew,
        ScopeAmongOthers,
        BadSignature,
        Expired,
        UnknownIssuer,
        IssuerWithTheOtherNrfsKey,
        WrongAudience,
        Unsigned,
        KeyConfusion,
        NoScope,
        OtherScope,
    }

    private string Make(Token token)
    {
        var t = fixture.Tokens;
        return token switch
        {
            Token.Es256ForInstanceId => t.Create(),
            Token.Rs256ForNfType => t.Create(NrfTokens.Signer.Rs256, NrfTokens.RsIssuer, audience: "5G_EIR"),
            Token.AudienceListWithInstanceId => t.Create(audience: new[] { "11111111-2222-4333-8444-555555555555", NrfTokens.NodeInstanceId }),
            Token.ExpiredInsideSkew => t.Create(expiresIn: TimeSpan.FromSeconds(-10)),
            Token.ScopeAmongOthers => t.Create(scope: "nudm-sdm n5g-eir-eic namf-comm"),
            Token.BadSignature => t.Create(NrfTokens.Signer.Stranger),
            Token.Expired => t.Create(expiresIn: TimeSpan.FromSeconds(-90)),
            Token.UnknownIssuer => t.Create(NrfTokens.Signer.Stranger, issuer: "99999999-9999-4999-8999-999999999999"),
            Token.IssuerWithTheOtherNrfsKey => t.Create(NrfTokens.Signer.Rs256, NrfTokens.EsIssuer),
            Token.WrongAudience => t.Create(audience: "AUSF"),
            Token.Unsigned => NrfTokens.Unsigned(),
            Token.KeyConfusion => t.KeyConfusion(),
            Token.NoScope => t.Create(scope: null),
            _ => t.Create(scope: "nudm-sdm"),
        };
    }

    [Theory]
    [InlineData(Token.Es256ForInstanceId, 200, null)]
    [InlineData(Token.Rs256ForNfType, 200, null)]
    [InlineData(Token.AudienceListWithInstanceId, 200, null)]
    [InlineData(Token.ExpiredInsideSkew, 200, null)]
    [InlineData(Token.ScopeAmongOthers, 200, null)]
    [InlineData(Token.BadSignature, 401, "invalid_token")]
    [InlineData(Token.Expired, 401, "invalid_token")]
    [InlineData(Token.UnknownIssuer, 401, "invalid_token")]
    [InlineData(Token.IssuerWithTheOtherNrfsKey, 401, "invalid_token")]
    [InlineData(Token.WrongAudience, 401, "invalid_token")]
    [InlineData(Token.Unsigned, 401, "invalid_token")]
    [InlineData(Token.KeyConfusion, 401, "invalid_token")]
    [InlineData(Token.NoScope, 403, "insufficient_scope")]
    [InlineData(Token.OtherScope, 403, "insufficient_scope")]
    public async Task N5gEir_Token_AcceptedOrRefusedWithRfc6750Error(Token token, int status, string? error)
    {
        var jwt = Make(token);

        var dotnet = await TlsClients.GetAsync(fixture.Port, N5gRegistered, fixture.Ca, bearer: jwt);
        var curl = await TlsClients.CurlAsync(fixture.Port, N5gRegistered, fixture.Pki.CaPath, bearer: jwt);

        Assert.Equal(status, dotnet.Status);
        Assert.Equal(status, curl.Status);
        if (error is null)
        {
            Assert.Contains("WHITELISTED", dotnet.Body, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"error=\"{error}\"", dotnet.WwwAuthenticate, StringComparison.Ordinal);
            Assert.Contains($"error=\"{error}\"", curl.WwwAuthenticate, StringComparison.Ordinal);
            Assert.DoesNotContain(jwt, dotnet.Body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Check_ValidTokenOnGrpc_Unauthenticated()
    {
        // Tokens grant role check on N5g-eir only.
        using var channel = TlsClients.Channel(fixture.Port, fixture.Ca);

        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await new EquipmentCheck.EquipmentCheckClient(channel).CheckAsync(new CheckRequest { Imei = Ids.Registered14 }, TestNode.Auth(Make(Token.Es256ForInstanceId))));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task N5gEir_ApiKeyBesideTokens_StillAccepted()
    {
        var r = await TlsClients.GetAsync(fixture.Port, N5gRegistered, fixture.Ca, bearer: TestNode.CheckKey);

        Assert.Equal(200, r.Status);
    }

    [Fact]
    public async Task N5gEir_NoCredential_401WithBearerChallenge()
    {
        var r = await TlsClients.GetAsync(fixture.Port, N5gRegistered, fixture.Ca);

        Assert.Equal(401, r.Status);
        Assert.Equal("Bearer", r.WwwAuthenticate);
    }
}
