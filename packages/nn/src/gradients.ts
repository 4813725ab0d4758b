// TF.js registers op gradients only when this module is imported (tfjs-layers does it too);
// without it nothing has a gradient. Every module that builds trainable graphs imports this.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
