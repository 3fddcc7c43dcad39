# src/sentinel: calyx-sentinel daemon
