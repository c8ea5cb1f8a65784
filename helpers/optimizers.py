"""Adam with TensorFlow's fused update kernel: the same arithmetic as ``keras.optimizers.Adam``, fewer ops.

Keras 3 writes Adam's update as ~10 separate element-wise operations per weight tensor, each
a pass over memory and a graph op to schedule; ``ResourceApplyAdam`` does the same update in
one kernel. On the 669,706-parameter MLP this saves ~10% of an epoch on 2 CPU cores
(``benchmarks/results/bench.md``). With another backend, ``amsgrad`` or non-float32 weights it
falls back to Keras' own update.
"""

from __future__ import annotations

import keras


def _handle(variable):
    """The resource handle of a Keras variable (or of the tf.Variable behind it)."""
    return variable.handle if hasattr(variable, "handle") else variable.value.handle


@keras.saving.register_keras_serializable(package="nnlab")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` whose per-variable update is TensorFlow's fused ``ResourceApplyAdam``."""

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad or keras.backend.backend() != "tensorflow" or variable.dtype != "float32":
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        index = self._get_variable_index(variable)
        step = tf.cast(self.iterations + 1, tf.float32)
        tf.raw_ops.ResourceApplyAdam(
            var=_handle(variable), m=_handle(self._momentums[index]), v=_handle(self._velocities[index]),
            beta1_power=tf.pow(tf.cast(self.beta_1, tf.float32), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, tf.float32), step),
            lr=tf.cast(learning_rate, tf.float32), beta1=tf.cast(self.beta_1, tf.float32),
            beta2=tf.cast(self.beta_2, tf.float32), epsilon=tf.cast(self.epsilon, tf.float32),
            grad=tf.cast(gradient, tf.float32), use_locking=False)
