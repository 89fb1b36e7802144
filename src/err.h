/* Error codes shared by every module. Functions return 0 on success and one
 * of these (negative) on failure; a message buffer on the long-lived object
 * says more. Each boundary converts: RocksDB -> SL_EIO, libraft -> SL_E*,
 * SL_E* -> an AWS error in the gateway. */
#ifndef SL_ERR_H
#define SL_ERR_H

enum {
    SL_OK = 0,
    SL_ENOTFOUND = -1,  /* key or object absent */
    SL_EIO = -2,        /* storage failed; the node cannot go on safely */
    SL_ECORRUPT = -3,   /* bytes failed a bounds or checksum check */
    SL_ENOMEM = -4,
    SL_EINVAL = -5,     /* caller passed something invalid */
    SL_ENOTLEADER = -6, /* this node cannot accept writes now */
    SL_EUNKNOWN = -7,   /* fate unknown (leadership lost mid-commit): retry
                           with the same request id */
    SL_ETOOBIG = -8,
    SL_ESHUTDOWN = -9,
    SL_EBUSY = -10,
    SL_ETIMEDOUT = -11,
};

const char *sl_strerror(int code);

#endif
