"""`migrator verify`: proof that the service answers the same from N replicas as from one."""

STAGES = ("off", "dualwrite", "shadow", "live", "rampdown", "complete")  # for `--mode`
JOURNEY_NAMES = ("journey.yaml", "journey.yml", "journey.har")  # looked for in PATH, in order
