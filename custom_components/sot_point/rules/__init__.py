"""The site's rules without Home Assistant: what its devices' readings mean.

The site's state and its tracker (outage, cool-down, fuel estimate), the
status object the info page reads, and notices as plain data. Like
`hardware/`, nothing here imports Home Assistant: it is tested with plain
states in and values out.
"""
