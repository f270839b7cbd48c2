package io.github.vmalock.locking;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SeqCountTest {

  @Test
  @DisplayName("write_seqcount_begin/end: odd inside a section, even outside, +2 per section")
  void parity() {
    SeqCount s = new SeqCount();
    assertThat(s.readAcquire()).isZero();
    assertThat(s.isWriteSectionOpen()).isFalse();
    s.writeBegin();
    assertThat(s.readAcquire()).isEqualTo(1);
    assertThat(s.isWriteSectionOpen()).isTrue();
    s.writeEnd();
    assertThat(s.readOnce()).isEqualTo(2);
  }

  @Test
  @DisplayName(
      "raw_seqcount_try_begin fails while a writer is inside; read_seqcount_retry sees a section")
  void speculation() {
    SeqCount s = new SeqCount();
    long start = s.tryBegin();
    assertThat(start).isZero();
    assertThat(s.retry(start)).isFalse();
    s.writeBegin();
    assertThat(s.tryBegin()).isEqualTo(-1L);
    assertThat(s.retry(start)).isTrue();
    s.writeEnd();
    assertThat(s.retry(start)).isTrue();
    assertThat(s.tryBegin()).isEqualTo(2L);
  }

  @Test
  @DisplayName("the sequence wraps like the kernel's unsigned int")
  void wraps() {
    SeqCount s = new SeqCount(-2); // UINT_MAX - 1
    long start = s.tryBegin();
    assertThat(start).isEqualTo(0xFFFF_FFFEL);
    s.writeBegin();
    assertThat(s.readOnce()).isEqualTo(-1);
    assertThat(s.tryBegin()).isEqualTo(-1L);
    s.writeEnd();
    assertThat(s.readOnce()).isZero();
    assertThat(s.retry(start)).isTrue();
    assertThat(s.tryBegin()).isZero();
    assertThat(s.toString()).contains("0");
  }
}
