"""Benchmark scenarios that print figures: `slotwise bench engine|pages|notify|sync`. Run on demand, never as tests."""
