namespace ImeiEir.FaultLoad;

/// <summary>The commands and their options, as <c>--help</c> prints them.</summary>
internal static class Commands
{
    public const string Names = "seed, checks, sync, verify, converge, report";

    public const string Help = """
        faultload <command> [--option value ...]
          seed      --target URL --key KEY [--devices 2000]
                    registers the devices the check load asks about (ids fault-seed-*, idempotent)
          checks    --targets URL[,URL] --key KEY [--rate 500] [--for 30s] [--deadline 2s] [--devices 2000] [--json PATH] [--samples PATH]
                    open-model unary Check load spread over the targets; each call is timed from its due time; prints
                    served, failed (any status but OK, or a wrong verdict), late (over the deadline), p50/p99/max
          sync      --target URL --key KEY [--for 30s] [--batch 10] [--run NAME] [--acks PATH] [--json PATH]
                    [--batches N] [--give-up 120s] [--sent PATH]
                    one batch at a time through RegistrySync.Apply, each retried with the same batch id until acked;
                    every ack (id, sequence, time) goes to --acks as JSON lines, every failed attempt to the summary; --sent is written once a batch is sent
          verify    --redis HOST:PORT [--prefix eir] --acks PATH[,PATH] [--json PATH]
                    every acked batch id is in the Redis log exactly once (lost / twice counted)
          converge  --targets URL[,URL] --key KEY --redis HOST:PORT [--prefix eir] [--timeout 60s]
                    waits until every node serves Redis' sequence; prints the seconds it took
          report    --samples PATH [--from UNIXMS] [--to UNIXMS] [--deadline 2s]
                    the summary of the checks (from checks --samples PATH) due within the window
        """;
}
