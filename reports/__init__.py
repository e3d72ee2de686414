"""Weekly neighbourhood picture and exports."""
