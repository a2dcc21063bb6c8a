// Telling this process's failures from the app's. A probe that cannot open a
// socket because every descriptor is in use (EMFILE, ENFILE), that runs out
// of memory or buffer space (ENOMEM, ENOBUFS) or of local ports
// (EADDRNOTAVAIL on connect) has learned nothing about the app; the probe
// engine reports it as PROBE_OUTCOME_LOCAL_ERROR, which the policy never
// judges and the cache never keeps (common/policy/probe_outcome.h). Such
// failures are what a peer flooding our listeners with idle connections
// causes, so confusing them with "the app's server is down" would let that
// peer choose the verdict.
#ifndef APPTRUST_COMMON_PROBE_LOCAL_RESOURCE_ERROR_H_
#define APPTRUST_COMMON_PROBE_LOCAL_RESOURCE_ERROR_H_

#include "apptrust/v1/types.pb.h"

namespace apptrust::probe {

// True for the errno values above.
bool IsLocalResourceErrno(int error);

// LOCAL_ERROR when `error` is a local resource errno, else `otherwise`.
v1::ProbeOutcome OutcomeForErrno(int error, v1::ProbeOutcome otherwise);

// Whether this process can open a socket right now (it opens and closes
// one); when it cannot for lack of a local resource, false with the errno in
// `*error`. For failures whose cause a library hides: c-ares reports a
// socket it could not open as an unreachable server (SERVFAIL).
bool CanOpenSocket(int* error);

}  // namespace apptrust::probe

#endif  // APPTRUST_COMMON_PROBE_LOCAL_RESOURCE_ERROR_H_
