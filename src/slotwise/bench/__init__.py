"""Benchmark scenarios that print figures: `slotwise bench engine|pages|book|notify|sync|import|load`. Run on demand, never as tests."""
