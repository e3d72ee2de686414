"""Dispatch: inbox rows through the flows, one transaction each; replies rendered and translated."""
