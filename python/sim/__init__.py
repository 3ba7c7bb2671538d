"""Simulated vehicles for end-to-end tests (vehicle_sim)."""
