"""mx.callback: Speedometer, do_checkpoint, ProgressBar, log_train_metric."""

__all__: list = []
