// `gpu-karpenter/testing`: what a program that uses GpuKarpenter needs to run under
// `pulumi.runtime.setMocks` in its own unit tests, the same fake cloud the offline plan runs against,
// and the runner the plan and this repository's tests use, which waits for the whole program.
export { cloudMocks } from "./cloud-mocks";
export { fakeCluster, FakeCluster, FakeClusterDescription, FakeClusterError, FakeNodeGroup } from "./fake-cluster";
export { runProgram, RunProgramOptions, ProgramRun, ProgramFailure, RecordedResource } from "./run-program";
