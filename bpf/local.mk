# bpf: CO-RE programs of the sentinel (see src/sentinel).
