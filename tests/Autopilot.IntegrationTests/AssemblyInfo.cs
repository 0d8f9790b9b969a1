[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// One test class at a time: the real Slurm and Grid Engine are shared by every test here, and some
// tests stop slurmctld or set the partition DOWN (tests/Autopilot.IntegrationTests/EndToEnd), which
// would fail any Slurm test running beside them. Serial for the whole assembly, so scheduler tests
// added later are covered without having to remember a collection name.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
