# selftest-hang, target node: never reports a verdict.
lab_event "sleeping past the scenario timeout"
sleep 1000
