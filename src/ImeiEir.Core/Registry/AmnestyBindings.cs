using ImeiEir.Core.Index;

namespace ImeiEir.Core.Registry;

/// <summary>The bindings the amnesty window makes (docs/domain.md, "Amnesty window"): which checks bind, and to what.</summary>
public static class AmnestyBindings
{
    /// <summary>
    /// The binding an amnesty-window check makes: the IMEI bound to the MSISDN, with the IMSI if one was sent. False
    /// when it makes none: a check with no MSISDN (neither sent nor mapped from the IMSI) is allowed but not bound, since
    /// a binding, like a registry <c>Bind</c>, names an MSISDN.
    /// </summary>
    public static bool TryCreate(long imei, long msisdn, long imsiKey, out Mutation binding)
    {
        binding = Mutation.Bind(imei, msisdn, imsiKey);
        return msisdn != 0;
    }

    /// <summary>
    /// A batch of amnesty bindings as a plan on <paramref name="view"/>: each one an <see cref="MutationKind.AddBinding"/>,
    /// already resolved, and their effect on the view.
    /// </summary>
    public static BatchPlan Plan(EirView view, IReadOnlyList<Mutation> bindings)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(bindings);
        var plan = new BatchPlan(bindings.Count);
        var effect = new IndexEffectBuilder(view, boundImeis: bindings.Count);
        foreach (var b in bindings)
        {
            if (b.Kind != MutationKind.AddBinding || b.Msisdn == 0)
            {
                throw new ArgumentException("An amnesty binding is an AddBinding with an MSISDN.", nameof(bindings));
            }

            plan.Mutations.Add(b);
            effect.Apply(in b);
        }

        plan.Effect = effect.Build();
        return plan;
    }
}
