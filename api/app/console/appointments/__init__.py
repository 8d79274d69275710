"""The counsellor console's appointment pages: the day's list, its calendar file,
closure days and home-visit requests."""
