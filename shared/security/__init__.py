"""Who may do what on the broker: principals and ACLs derived from the code and the register."""
