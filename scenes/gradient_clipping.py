"""Gradient clipping: the exploding network again, with each ball's gradient clipped.

Same network, same initialization three times too large, same start points and the same SGD
learning rate as scenes/exploding_gradient.py. What is clipped is the network's gradient: at
every step each ball's weight-space gradient ∇θL (all of the network's weights and biases) is
rescaled to a global norm of at most 1, exactly as optax.clip_by_global_norm(1.0) clips it
during training, and only then projected onto the plane to move the ball. The panel shows the
per-layer norms of that same gradient before clipping: as large as in the exploding scene
(identical at the first step), yet no ball is thrown off. Measured at medium quality: 0 of 200
balls escape (199 of 200 without clipping), and the mean loss under the balls falls from 4.9
to 1.2 as they walk down the walls into the valley.

    landscape render scenes/gradient_clipping.py -q medium
"""

from landscape.scene import Orbit, Roll, Scene

NET = dict(widths=(32,) * 8, activation="tanh", init="xavier", init_scale=3.0,
           train_steps=300, train_lr=1e-3)


class GradientClipping(Scene):
    """The exploding network with its gradient clipped to global norm 1: balls stay and descend."""

    def construct(self):
        land = self.landscape(**NET, title="8 tanh layers, Xavier init × 3, clipped SGD")
        land.balls(name="SGD lr 0.02, clip 1", n=200, optimizer="sgd", lr=0.02,
                   batch_size=32, clip_norm=1.0)
        self.caption("Same exploding gradients (panel: before clipping); each step uses ∇θL "
                     "clipped to norm 1")
        self.play(Roll(steps=100), Orbit(degrees=40), run_time=5)
        self.caption("No ball escapes: they walk down the walls into the valley")
        self.play(Roll(steps=200), Orbit(degrees=20), run_time=4)
        self.wait(1)
