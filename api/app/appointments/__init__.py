"""Appointments: free slots, booking, moving, cancelling, reminders, home visits."""
