using System.Runtime.CompilerServices;
using ImeiEir.Core.Index;

namespace ImeiEir.Core.Policy;

/// <summary>A parsed check: an IMEI key and, each optional, the MSISDN and the IMSI key (0 = absent).</summary>
public readonly record struct CheckInput(long Imei, long Msisdn, long ImsiKey)
{
    public bool HasMsisdn => Msisdn != 0;

    public bool HasImsi => ImsiKey != 0;
}

/// <summary>
/// The verdict order of the regime (docs/domain.md), as one pure function of the input, one index view, the
/// grace marks and the time. First rule that applies wins:
/// stolen → roaming → registered → bound → grace / switch required → amnesty → not registered.
/// </summary>
public static class VerdictPolicy
{
    public static Decision Decide(in CheckInput input, EirView view, IGraceMarks marks, PolicyOptions options, long nowTicks, IAutoWhitelistSink? sink = null)
    {
        var imei = input.Imei;

        // 2. Stolen beats everything, roaming included.
        if (view.IsStolen(imei))
        {
            return Decision.Deny(Reason.Stolen);
        }

        // 3. Roaming: the IMSI decides when present, else the MSISDN's country code; with neither, home.
        if (IsForeign(in input, options))
        {
            return Decision.Allow(Reason.RoamingExempt);
        }

        // 4. Registered works with any SIM.
        if (view.IsRegistered(imei))
        {
            return Decision.Allow(Reason.Registered);
        }

        // 5-6. Bound (amnesty) IMEIs work with their bound subscribers, and with a new one during its grace.
        var bindings = view.GetBindings(imei);
        long mapped = 0;
        if (input.HasImsi)
        {
            view.TryGetMsisdn(input.ImsiKey, out mapped);
        }

        if (!bindings.IsEmpty)
        {
            if (bindings.HasMsisdn(input.Msisdn) || bindings.HasImsi(input.ImsiKey) || bindings.HasMsisdn(mapped))
            {
                return Decision.Allow(Reason.BoundSubscriber);
            }

            if (!input.HasMsisdn && !input.HasImsi)
            {
                // Nobody to match and nobody to start a grace for.
                return Decision.Deny(Reason.NumberSwitchRequired);
            }

            return Grace(imei, GraceSubscriber(in input, mapped), marks, options, nowTicks);
        }

        // 7. Amnesty window: bind now and allow.
        var window = options.AutoWhitelist;
        if (window.Start.HasValue && window.IsOpen(new DateTimeOffset(nowTicks, TimeSpan.Zero)))
        {
            var msisdn = input.HasMsisdn ? input.Msisdn : mapped;
            if (msisdn != 0 || input.HasImsi)
            {
                sink?.Bind(imei, msisdn, input.ImsiKey);
            }

            return Decision.Allow(Reason.AutoWhitelisted);
        }

        // 8.
        return Decision.Deny(Reason.NotRegistered);
    }

    /// <summary>The subscriber a grace mark is kept for: the number sent, else the number the IMSI maps to, else the IMSI.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SubscriberKey GraceSubscriber(in CheckInput input, long mappedMsisdn)
        => input.HasMsisdn ? SubscriberKey.FromMsisdn(input.Msisdn)
            : mappedMsisdn != 0 ? SubscriberKey.FromMsisdn(mappedMsisdn)
            : SubscriberKey.FromImsi(input.ImsiKey);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Decision Grace(long imei, SubscriberKey subscriber, IGraceMarks marks, PolicyOptions options, long nowTicks)
    {
        var first = marks.FirstSeen(imei, subscriber, nowTicks);
        var expires = first + options.NumberSwitchGrace.Ticks;
        return nowTicks < expires
            ? new Decision(Verdict.Allow, EquipmentStatus.Greylisted, Reason.NumberSwitchGrace, expires)
            : Decision.Deny(Reason.NumberSwitchRequired);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsForeign(in CheckInput input, PolicyOptions options)
    {
        if (input.HasImsi)
        {
            return new Identifiers.Imsi(input.ImsiKey).Mcc != options.HomeMcc;
        }

        return input.HasMsisdn && !new Identifiers.Msisdn(input.Msisdn).HasCountryCode(options.HomeCountryCode);
    }
}
