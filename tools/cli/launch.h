// `ardm train --nproc N`: starts N copies of this command on this machine, set up the way
// torchrun sets up its workers (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
// MASTER_PORT on a free loopback port), and watches them: when one fails, the others are
// stopped, and the exit status says which rank failed and how.
#pragma once

#include <string>
#include <vector>

namespace ardm::cli {

// args: the command line to run in each process (args[0] is replaced by this executable),
// without --nproc. Returns the exit status for this process: 0 when every rank succeeded.
int launch_local(int nproc, const std::vector<std::string>& args);

// The command line without its --nproc option (as "--nproc N" or "--nproc=N").
std::vector<std::string> without_nproc(int argc, char** argv);

}  // namespace ardm::cli
