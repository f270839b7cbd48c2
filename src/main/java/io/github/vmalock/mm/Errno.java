package io.github.vmalock.mm;

/** TEMPORARY stand-in until the mm-fidelity branch is merged. */
public enum Errno {
  EINVAL,
  ENOMEM,
  EEXIST,
  EPERM,
  EINTR,
  EAGAIN
}
