import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as nn from '@fbnet/nn';
import { describeTrainingSuite } from '@fbnet/backend-common/testing';
import { cpuPlugin } from './plugin.ts';

tf.env().set('PROD', true);

// Whole-net gradients and SGD steps against stock TF.js, finite differences, PyTorch's running
// statistics, the V1 mix and V2 channel-scale kernel pairs, native results read back every way.
describeTrainingSuite(cpuPlugin, { nn, torchFixtures: new URL('../../../nn/fixtures/torch-nn-reference.json', import.meta.url) });
