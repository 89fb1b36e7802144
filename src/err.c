#include "src/err.h"

const char *sl_strerror(int code)
{
    switch (code) {
        case SL_OK: return "ok";
        case SL_ENOTFOUND: return "not found";
        case SL_EIO: return "storage I/O error";
        case SL_ECORRUPT: return "corrupt data";
        case SL_ENOMEM: return "out of memory";
        case SL_EINVAL: return "invalid argument";
        case SL_ENOTLEADER: return "not the leader";
        case SL_EUNKNOWN: return "outcome unknown: leadership lost";
        case SL_ETOOBIG: return "too big";
        case SL_ESHUTDOWN: return "shutting down";
        case SL_EBUSY: return "busy";
        case SL_ETIMEDOUT: return "timed out";
    }
    return "unknown error";
}
